#!/usr/bin/env python3
"""Generate tests/quality/data/chat.json: a multi-session chat between two
friends, Mai (a designer who moves from Da Nang to Hanoi) and Tom (an
Englishman in Saigon), January to June 2024, one memory per turn
("Speaker: text"), plus labelled questions an agent remembering them would
be asked.

Turns that answer a question carry a tag; questions name their answers by
tag and this script resolves them to memory indexes and checks the labels
(tags unique and existing, reference_time after every answer, minimum
sizes).  Timestamps inside a session are 40-110 s apart (fixed seed).
Re-run after editing:  python3 tests/quality/gen_chat.py
"""
import datetime
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_team import dump  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "chat.json")

M, T = "Mai", "Tom"

# Each session: (start time, [(speaker, text[, tag]) ...]).
SESSIONS = [
    # S1 Saturday 6 January: catching up after New Year.
    ("2024-01-06T20:10:00", [
        (T, "Hey Mai! Happy new year, are you finally back from the countryside?"),
        (M, "Happy new year Tom!! Yes, got back to Da Nang on Tuesday, still recovering from all the food haha", "back_danang"),
        (T, "Haha same. How was your break?"),
        (M, "Quiet. Mostly walked the dog on the beach and slept"),
        (T, "Wait, you have a dog now? Since when?"),
        (M, "Since October! He's a corgi called Bơ, it means avocado", "dog_name"),
        (T, "That's adorable. Why avocado?"),
        (M, "He's round and he goes crazy for avocado, which the vet says is bad for him. I adopted him from a shelter near Sơn Trà, they think he's about two", "bo_shelter"),
        (T, "Send pics!"),
        (M, "[photo] this is him stealing my sandal"),
        (T, "He looks like a loaf of bread with legs"),
        (M, "That's exactly what my mom says"),
        (T, "How's work at the resort?"),
        (M, "Tiring. I'm still the only graphic designer there, so every menu, poster and banner is me", "job_old"),
        (T, "Have you thought about leaving?"),
        (M, "I've been applying to game studios in Hanoi actually. Don't tell anyone yet", "apply_hanoi"),
        (T, "My lips are sealed. It's cold up there though!"),
        (M, "I know... what about you, still teaching?"),
        (T, "Yep, still teaching English at the language centre in District 3, mostly teenagers cramming for IELTS", "tom_job"),
        (M, "Do you like it?"),
        (T, "The kids are fun, the pay not so much. Also I signed up for a half marathon, which was probably a mistake", "half_signup"),
        (M, "Whaaat you hate running"),
        (T, "I did! Linh talked me into it. The race is on March 17 so I've got ten weeks to not die", "race_date"),
        (M, "Linh is your girlfriend right? The one who works at the bank?", "linh_gf"),
        (T, "That's her. She's been running for years"),
        (M, "You'll be fine. Oh, is your sister still coming over?", "sister_q"),
        (T, "Emma? Yes, she lands on February 15 and stays two weeks", "emma_visit"),
        (M, "You should bring her to Hội An!"),
        (T, "That's the plan. OK I need to sleep, early class tomorrow"),
        (M, "Night! Say hi to Linh"),
    ]),
    # S2 Saturday 20 January: interview news, Tết plans.
    ("2024-01-20T19:30:00", [
        (M, "Tom!! I have news"),
        (T, "Tell me"),
        (M, "I got an interview with Lotus Studio, they make mobile games in Hanoi", "interview"),
        (T, "No way, congrats! When is it?"),
        (M, "Thursday, over video call. It's for a UI artist position", "interview_when"),
        (T, "You're going to nail it. Are you preparing a portfolio?"),
        (M, "Redoing it tonight. Bơ keeps lying on my sketchbook though"),
        (T, "He's helping"),
        (M, "Very helpful. How's the running going?"),
        (T, "Ugh. Did 8 km on Wednesday and my left knee has been complaining since", "knee"),
        (M, "Be careful!! Did you see a doctor?"),
        (T, "Linh made me buy proper shoes. Apparently running in old Converse is \"not a training plan\""),
        (M, "Hahaha she's right"),
        (T, "She's always right, it's annoying"),
        (M, "What are you doing for Tết?", "tet_q"),
        (T, "Staying in Saigon. The city gets so empty, I love it", "tet_saigon"),
        (M, "I'm going home to Huế, the whole family will be at my grandma's house", "tet_hue"),
        (T, "Is that where you grew up?"),
        (M, "Yep, born and raised there, I only moved to Da Nang for university", "hometown"),
        (T, "I still need to visit. The citadel, right?"),
        (M, "Come during Tết sometime, my grandma will feed you until you explode"),
        (T, "Sounds like the best way to go"),
        (M, "What will you do with all that free time?"),
        (T, "Practise guitar probably. I've been learning on Linh's brother's old one", "guitar"),
        (M, "I didn't know you played!"),
        (T, "I don't, yet. I can do about four chords and half of Wonderwall"),
        (M, "That's all you need haha"),
        (T, "Good luck Thursday, tell me how it goes"),
        (M, "Will do!"),
    ]),
    # S3 Saturday 3 February: the offer.
    ("2024-02-03T21:00:00", [
        (M, "TOM. I GOT IT", "offer"),
        (T, "THE JOB?? Lotus?"),
        (M, "Yes!!! They called this morning. UI artist, start date March 4", "start_date"),
        (T, "Amazing!!! I told you"),
        (M, "I'm still shaking. The salary is almost double what the resort pays"),
        (T, "Well deserved. What was the interview like in the end?"),
        (M, "They gave me 48 hours to redesign the shop screen of one of their games as a test", "test_task"),
        (T, "And?"),
        (M, "The art director said my version was cleaner than the one they shipped lol"),
        (T, "Savage. So you're moving in a month?"),
        (M, "End of February. I have to find an apartment, hand in my notice, and figure out what to do with Bơ", "move_plan"),
        (T, "Can you even fly with a dog here?"),
        (M, "Vietnam Airlines takes pets in cargo but I really don't want to put him in a crate for that long"),
        (T, "Train?"),
        (M, "Maybe. Let me think about it after Tết"),
        (T, "How did the resort take it?"),
        (M, "I haven't told my boss yet. Monday... wish me luck"),
        (T, "Good luck. They'll miss you"),
        (M, "How's your knee?"),
        (T, "Better. Took a week off and now I'm doing shorter runs. 12 km last Sunday without pain", "knee_better"),
        (M, "Nice!"),
        (T, "Emma arrives in twelve days, I need to clean my apartment"),
        (M, "Still the 15th?"),
        (T, "Yep. I'm taking four days off and we'll do Hội An and Da Nang", "emma_plan"),
        (M, "I'll be busy packing but I can show you two around Da Nang one evening!", "show_danang"),
        (T, "Deal. She wants to eat mì Quảng, she saw it on some YouTube channel", "emma_miquang"),
        (M, "I know the best place, near Chợ Hàn", "cho_han"),
        (T, "Perfect"),
        (M, "OK, off to celebrate with my roommates 🎉"),
    ]),
    # S4 Wednesday 21 February: after Tết and Emma's visit to central Vietnam.
    ("2024-02-21T20:30:00", [
        (T, "Thanks again for Monday night, Emma hasn't stopped talking about that mì Quảng", "met_monday"),
        (M, "Haha she's so sweet! I liked her a lot"),
        (T, "She liked you more than me I think"),
        (M, "Obviously. How was Hội An after?"),
        (T, "Beautiful, but Emma got food poisoning on the second day, probably from a smoothie at the night market", "emma_sick"),
        (M, "Oh no!! Is she okay?"),
        (T, "She's fine now, spent one day in bed at the homestay. We did a lantern-making class yesterday", "lantern"),
        (M, "That's nice. Did you make one too?"),
        (T, "Mine looks like a squashed pumpkin. Hers is perfect, but she's an architect so", "emma_architect"),
        (M, "Haha unfair advantage"),
        (T, "How was Tết?"),
        (M, "Loud and full. My grandma made bánh chưng with all the cousins and I ate like six", "tet_recap"),
        (T, "Six!"),
        (M, "Over four days lol. Also my uncles kept asking when I'm getting married"),
        (T, "Classic"),
        (M, "I told them I'm marrying my career. My mom was not amused"),
        (T, "Did you tell your family about the move?"),
        (M, "Yes, my mom cried a bit but she's proud. She says she'll come up once I'm settled", "mom_visit_plan"),
        (T, "Aww"),
        (M, "And my brother Khoa offered to drive Bơ up in his car, he has to go there for work anyway", "khoa_bo"),
        (T, "Problem solved then!"),
        (M, "Yes! 800 km with a corgi, good luck to him"),
        (T, "Haha. Btw Linh and I are thinking of going to Japan in April", "japan_idea"),
        (M, "Oooh! Cherry blossoms?"),
        (T, "We'll probably be too late for them but yeah. Linh has always wanted to see Kyoto"),
        (M, "You'll love it. When does Emma go back?"),
        (T, "On the 29th. She's going to Phong Nha with a friend first", "emma_leaves"),
        (M, "Tell her to bring a raincoat for the caves"),
        (T, "Will do. Night!"),
    ]),
    # S5 Saturday 2 March: Mai has just arrived in Hanoi.
    ("2024-03-02T22:00:00", [
        (M, "Greetings from Hanoi! ☁️"),
        (T, "You made it! How is it?"),
        (M, "Cold and grey, it's been drizzling since I landed. 16 degrees and I'm wearing two jackets"),
        (T, "Haha welcome to the north"),
        (M, "I found a place in Tây Hồ, five minutes from West Lake", "apt_tayho"),
        (T, "Fancy. Big enough for Bơ?"),
        (M, "Small balcony and a park nearby so he'll survive. He gets here tomorrow with Khoa", "bo_arrives"),
        (T, "The great corgi road trip"),
        (M, "Khoa sent me a video of him asleep on the back seat with his tongue out"),
        (T, "Living his best life"),
        (M, "When's your race? Soon right?"),
        (T, "Two weeks from tomorrow. I did 18 km this morning, my longest ever", "long_run"),
        (M, "Whoa!! You'll crush it"),
        (T, "We'll see. Also we booked Japan!", "japan_booked"),
        (M, "Yesss when?"),
        (T, "April 12 to 20. Tokyo for three days, then Kyoto and Osaka", "japan_dates"),
        (M, "So jealous"),
        (T, "Linh made a spreadsheet with every meal planned"),
        (M, "Of course she did haha"),
        (M, "Monday is my first day, I'm kind of nervous", "first_day"),
        (T, "You'll be great. What do you even wear to a game studio?"),
        (M, "Hoodie probably? Everyone in the interview was wearing hoodies"),
        (T, "The dream"),
        (M, "The office is in Cầu Giấy, like 25 minutes on a Grab bike from my place", "office"),
        (T, "Not bad"),
        (M, "I'll report back after the first week"),
        (T, "Good luck!! Give Bơ a welcome hug from me"),
    ]),
    # S6 Saturday 9 March: first week at Lotus.
    ("2024-03-09T21:15:00", [
        (T, "So?? How was week one"),
        (M, "Exhausting but so fun"),
        (M, "My team is six people and my lead is chị Hằng, she's been making games for ten years", "manager"),
        (T, "Is she nice?"),
        (M, "Very direct but fair. She redid half my first mockup in five minutes 😅", "hang_feedback"),
        (T, "Ouch"),
        (M, "No, she was right. I learned more in that afternoon than in a year at the resort"),
        (T, "What are you working on?"),
        (M, "A farming game called Ruộng Vui, you grow rice and raise buffalo. I'm doing the shop and inventory screens", "game"),
        (T, "That sounds adorable"),
        (M, "It is! The buffalo wears a little hat"),
        (T, "I'd play that"),
        (M, "How's the training?"),
        (T, "Tapering now. Next Sunday is the big day, Linh says I'm not allowed street food the day before"),
        (M, "Strict coach"),
        (T, "She says one bad bánh mì can ruin months of work"),
        (M, "She's not wrong"),
        (T, "How's Bơ adjusting?"),
        (M, "He hates the cold. He refuses to go outside when it rains so I bought him a yellow raincoat", "raincoat"),
        (T, "Please tell me there's a photo"),
        (M, "[photo]"),
        (T, "I'm dying, he looks like a tiny fisherman"),
        (M, "He's famous in the building now"),
        (T, "Do you like it there so far?"),
        (M, "The food is amazing, the bún chả near the office changed my life. But I miss the sea", "buncha"),
        (T, "Makes sense. West Lake is kind of a sea?"),
        (M, "Nice try"),
        (T, "Haha. OK I'll text you after the race"),
    ]),
    # S7 Saturday 23 March: race done, Bơ sick, pottery, camera.
    ("2024-03-23T20:00:00", [
        (M, "Hey! How did it go? You never texted 😤"),
        (T, "Sorry!! Crazy week. I finished! 2 hours 11 minutes", "race_result"),
        (M, "Tom!!! Congratulations!!"),
        (T, "My knee held up until km 18, then I limped the last bit. Linh was waiting at the finish with a coconut", "race_knee"),
        (M, "That's love"),
        (T, "Definitely. Then I slept for 12 hours"),
        (M, "Deserved. Are you going to do another one?"),
        (T, "Ask me in a month. Right now stairs are my enemy"),
        (M, "Haha"),
        (M, "I had a scary week too. Bơ was really sick on Tuesday", "bo_sick"),
        (T, "Oh no, what happened?"),
        (M, "He ate something off the street near the lake, chicken bones probably, and threw up all night", "bo_sick_cause"),
        (T, "Poor guy. Is he ok?"),
        (M, "Yes, the vet gave him medicine and a drip. He's back to stealing socks", "bo_recovered"),
        (T, "Phew"),
        (M, "Cost me half a month of my old salary lol"),
        (T, "Worth it though"),
        (M, "Of course"),
        (M, "On a happier note I signed up for a pottery class! Every Saturday morning", "pottery"),
        (T, "Oh cool, where?"),
        (M, "A small studio in Bát Tràng village, a colleague goes too", "pottery_where"),
        (T, "Make me a mug"),
        (M, "If I ever make something that holds water, it's yours", "mug_promise"),
        (T, "Haha. We're getting ready for Japan. I bought a camera for the trip, a second-hand Fujifilm X100V", "camera"),
        (M, "Ooh fancy"),
        (T, "Linh says I'm going to spend the whole trip taking photos of vending machines"),
        (M, "She knows you well"),
        (T, "Too well. Three weeks to go!"),
    ]),
    # S8 Sunday 7 April: the weekend before the Japan trip.
    ("2024-04-07T21:00:00", [
        (T, "Ugh, I'm so sunburnt"),
        (M, "What did you do?"),
        (T, "Linh and I took the ferry to Vũng Tàu yesterday, spent the whole day at Back Beach and forgot sunscreen", "vungtau"),
        (M, "Tom. You're British. You burn in the shade"),
        (T, "I know, I know. The seafood was worth it though, we ate grilled scallops at one stall for like three hours", "scallops"),
        (M, "Jealous! Here it's still grey"),
        (T, "Is spring not a thing up north?"),
        (M, "Supposedly. The sun came out for two hours on Wednesday and everyone ran to the lake"),
        (T, "Haha"),
        (T, "How's work?"),
        (M, "Crazy. We have a demo for the publisher on the 19th, chị Hằng has us staying late every day", "demo"),
        (T, "That sounds rough"),
        (M, "It's fine, she orders dinner for everyone. And she said my shop screen is the best part of the build", "hang_praise"),
        (T, "From \"redid half your mockup\" to \"best part of the build\" in a month!"),
        (M, "Haha I know right"),
        (T, "Are you packed for... wait, you're not going anywhere. I'm thinking of myself"),
        (M, "You fly Friday?"),
        (T, "Friday morning, 8 am to Narita. I haven't started packing", "flight"),
        (M, "Classic Tom"),
        (M, "My mom is coming up in early May btw!", "mom_may"),
        (T, "Oh nice, first time visiting you?"),
        (M, "Yes. She wants to see Hạ Long Bay, so I'm booking an overnight cruise", "halong_plan"),
        (T, "She'll love it"),
        (M, "She's already asking whether the boat has a rice cooker"),
        (T, "Hahaha"),
        (M, "Bring me a souvenir!", "souvenir_ask"),
        (T, "What do you want?"),
        (M, "Anything with a Shiba Inu on it. Or matcha KitKats", "souvenir_req"),
        (T, "Noted"),
    ]),
    # S9 Tuesday 23 April: back from Japan; demo result; the bowl.
    ("2024-04-23T20:45:00", [
        (T, "We're back! Got home Saturday night", "back_home"),
        (M, "Welcome back!!! Tell me everything"),
        (T, "Honestly the best trip of my life. Kyoto was unreal"),
        (M, "Favourite moment?"),
        (T, "We climbed Fushimi Inari at 6 am, before the crowds. Just us, the foxes and the orange gates", "fushimi"),
        (M, "Wow"),
        (T, "And Linh fell in love with the deer in Nara. One of them ate her map", "nara"),
        (M, "HAHA"),
        (T, "She fed them like ten packs of crackers"),
        (M, "Any disasters?"),
        (T, "I lost my JR pass in Osaka on day six and had to buy normal tickets back to Tokyo", "jrpass"),
        (M, "Noooo"),
        (T, "Expensive lesson. Linh hasn't let me forget it"),
        (M, "Did you get my souvenir?"),
        (T, "Of course. Matcha KitKats AND a Shiba Inu keychain. I'll post them this week", "souvenir"),
        (M, "Best friend ever"),
        (T, "How did the demo go?"),
        (M, "Really well! The publisher signed on for the full game, we launch in September", "demo_result"),
        (T, "Amazing!!"),
        (M, "We went out for bia hơi to celebrate. Chị Hằng sang karaoke, it was terrifying"),
        (T, "Haha"),
        (M, "And guess what, my Saturday mornings finally produced something. A very lopsided bowl", "bowl"),
        (T, "Does it hold water?"),
        (M, "Technically yes. Bơ drinks out of it now", "bowl_bo"),
        (T, "So the mug is coming to me next?"),
        (M, "Give me a few more Saturdays"),
        (T, "I'm patient"),
        (M, "Send me the photos pls! The X100V ones", "photos_req"),
        (T, "400 of them coming up. Mostly vending machines", "photos"),
    ]),
    # S10 Saturday 11 May: Mom's visit; Tom quits teaching.
    ("2024-05-11T19:00:00", [
        (M, "My mom just left for Huế this morning, I'm exhausted", "mom_left"),
        (T, "How was it?"),
        (M, "She stayed a week. We did the Hạ Long cruise on Tuesday and Wednesday", "halong_done"),
        (T, "Did she like it?"),
        (M, "She said the limestone islands look like a painting, then complained the seafood was too expensive", "mom_halong"),
        (T, "Hahaha moms"),
        (M, "She also reorganised my whole kitchen. I can't find anything"),
        (T, "Classic"),
        (M, "And she cooked for Bơ every day, now he refuses dog food", "bo_spoiled"),
        (T, "Uh oh"),
        (M, "I'm thinking about learning to drive btw. A car in this traffic scares me but Grab every day adds up", "driving"),
        (T, "A car or a motorbike?"),
        (M, "Motorbike first. Khoa says he'll teach me when he's in town next month", "khoa_teach_plan"),
        (T, "Nice"),
        (M, "What's new with you?"),
        (T, "Big news actually. I quit the language centre", "quit"),
        (M, "What!! Why?"),
        (T, "I got a job as a translator at a travel company, Saigon Trails. They want someone to write their English tour descriptions", "new_job_tom"),
        (M, "That's so you! Writing and travel"),
        (T, "And better pay, and no more 7 pm classes", "better_pay"),
        (M, "When do you start?"),
        (T, "June 3. I finish teaching at the end of May", "tom_start"),
        (M, "Congrats!!"),
        (T, "Also my birthday is next Monday and Linh is being super suspicious", "birthday"),
        (M, "Suspicious how?"),
        (T, "She keeps hiding her phone and asked me what my \"dream gift\" would be in a very casual way"),
        (M, "Hahaha subtle"),
        (T, "Very"),
        (M, "I'll call you on Monday then!"),
    ]),
    # S11 Saturday 18 May: birthday party; Mai promoted; Saigon trip plan.
    ("2024-05-18T20:00:00", [
        (M, "Happy belated birthday again! How was the party?"),
        (T, "Amazing. Linh threw a surprise party on a rooftop in District 1 with all our friends", "party"),
        (M, "She's the best"),
        (T, "And she got me a guitar! A real one, a Yamaha acoustic. I'd been playing her brother's old one for months", "guitar_gift"),
        (M, "Aww so now you can play all of Wonderwall"),
        (T, "I'm up to three quarters of it"),
        (M, "Progress"),
        (T, "How are you?"),
        (M, "Work is good. Chị Hằng made me lead UI artist for Ruộng Vui!", "promotion"),
        (T, "WHAT. After three months?"),
        (M, "I know! The other lead moved to another project and she picked me"),
        (T, "You're unstoppable"),
        (M, "I'm also terrified, I have two junior artists now", "juniors"),
        (T, "You'll be a great boss. Nicer than chị Hằng at least"),
        (M, "She's actually really nice once you know her. She brings durian cake on Fridays"),
        (T, "OK she's forgiven"),
        (M, "Also I'm coming to Saigon!! June 14 to 16 for a game industry meetup", "saigon_trip"),
        (T, "Yesss! Stay with us? We have a sofa bed"),
        (M, "Are you sure? Linh won't mind?"),
        (T, "She's the one who suggested it"),
        (M, "Then yes please 🥹"),
        (T, "What about Bơ?"),
        (M, "My neighbour's daughter will look after him, she adores him", "bo_sitter"),
        (T, "Perfect"),
        (M, "How's the countdown?"),
        (T, "Two weeks of teaching left. The teenagers made me a card, I almost cried", "card"),
        (M, "Aww"),
        (T, "Don't tell anyone"),
        (M, "Your secret is safe"),
    ]),
    # S12 Wednesday 19 June: after Mai's visit to Saigon.
    ("2024-06-19T21:30:00", [
        (M, "Home safe! Thank you both so much for having me"),
        (T, "Anytime! It was so good to see you"),
        (M, "Linh's bún bò was better than the one I had in Huế, don't tell my grandma", "linh_bunbo"),
        (T, "Haha I'll tell her you said that"),
        (M, "The meetup was good too, I met people from three studios"),
        (T, "Any job offers? 👀"),
        (M, "No! I'm happy at Lotus. But I might give a talk at the next one in Da Nang", "talk"),
        (T, "Look at you"),
        (M, "Also some news: I moved! I left Tây Hồ, now I'm in Ba Đình, ten minutes from the office", "moved_badinh"),
        (T, "Wait, when?"),
        (M, "The weekend before I flew down. Khoa helped me carry everything", "move_when"),
        (T, "Busy month. Does Bơ like the new place?"),
        (M, "There's no lake but there's a big park full of other dogs, so he's happy", "bo_park"),
        (T, "And the driving?"),
        (M, "Khoa taught me on his motorbike. I passed the test on Monday!", "licence"),
        (T, "No way! Congrats"),
        (M, "Only failed the figure-eight once"),
        (T, "Does Bơ ride with you?"),
        (M, "He has a basket now. And goggles. Don't ask", "bo_basket"),
        (T, "I need a photo immediately"),
        (M, "[photo]"),
        (T, "He's a legend"),
        (M, "How's the new job?"),
        (T, "Two weeks in and I love it. This week I'm writing a guide for a Mekong Delta cycling tour", "mekong"),
        (M, "Sounds fun"),
        (T, "They're sending me on the tour itself in July so I can write about it properly", "july_tour"),
        (M, "Best job ever"),
        (T, "Oh and one more thing... I'm going to propose to Linh", "propose"),
        (M, "TOM!!!!!! When??"),
        (T, "In August, on her birthday. Emma is helping me pick a ring when she visits in July", "ring_emma"),
        (M, "I'm screaming. My lips are sealed"),
        (T, "They'd better be 😂"),
    ]),
]

END = "2024-06-21T09:00:00"

SF, TM, MH = "single-fact", "temporal", "multi-hop"

# (question, reference_time or None (= END), [answer tags], kind)
QUESTIONS = [
    # single-fact
    ("What is Mai's dog called?", None, ["dog_name"], SF),
    ("What breed is Mai's dog?", None, ["dog_name"], SF),
    ("Where did Mai adopt her dog?", None, ["bo_shelter"], SF),
    ("What's the name of Tom's sister?", None, ["sister_q", "emma_visit"], SF),
    ("What does Tom's sister do for a living?", None, ["emma_architect"], SF),
    ("What's Tom's girlfriend called?", None, ["linh_gf"], SF),
    ("Where does Linh work?", None, ["linh_gf"], SF),
    ("Where did Tom teach English?", None, ["tom_job"], SF),
    ("Which company hired Mai in Hanoi?", None, ["interview"], SF),
    ("What role was Mai hired for?", None, ["interview_when", "start_date"], SF),
    ("What game is Mai working on?", None, ["game"], SF),
    ("Who is Mai's boss at the studio?", None, ["manager"], SF),
    ("What camera did Tom buy?", None, ["camera"], SF),
    ("Where does Mai go for her pottery class?", None, ["pottery", "pottery_where"], SF),
    ("What is Mai's brother's name?", None, ["khoa_bo"], SF),
    ("What souvenir did Mai want from Japan?", None, ["souvenir_ask", "souvenir_req"], SF),
    ("What did Linh give Tom for his birthday?", None, ["guitar_gift"], SF),
    ("What was Tom's half marathon time?", None, ["race_result"], SF),
    ("What did Tom lose in Osaka?", None, ["jrpass"], SF),
    ("What made Bơ sick?", None, ["bo_sick", "bo_sick_cause"], SF),
    ("Where did Mai grow up?", None, ["tet_hue", "hometown"], SF),
    ("What did Emma want to eat in Da Nang?", None, ["emma_miquang"], SF),
    ("Why does Bơ have a raincoat?", None, ["raincoat"], SF),
    ("Who is looking after the dog while Mai is in Saigon?", None, ["bo_sitter"], SF),
    ("What did Mai's grandma cook for Tết?", None, ["tet_recap"], SF),
    ("What did Mai's mom think of Hạ Long Bay?", None, ["mom_halong"], SF),
    ("What was the test task in Mai's job interview?", None, ["test_task"], SF),
    ("What did Tom's students give him when he left?", None, ["card"], SF),
    ("What does Mai's commute to the office look like?", None, ["office"], SF),
    ("What is Mai's job title now?", None, ["promotion"], SF),
    ("Who is going to help Tom choose the engagement ring?", None, ["ring_emma"], SF),
    ("What is Ruộng Vui?", None, ["game"], SF),
    ("Who is Khoa?", None, ["khoa_bo"], SF),
    ("What is Saigon Trails?", None, ["new_job_tom"], SF),
    ("Who is chị Hằng?", None, ["manager"], SF),
    ("What did Tom eat in Vũng Tàu?", None, ["vungtau", "scallops"], SF),
    ("Where did Tom and Linh go at sunrise in Kyoto?", None, ["fushimi"], SF),
    ("How long did Mai's mom stay with her?", None, ["halong_done"], SF),
    ("How many people report to Mai?", None, ["juniors"], SF),
    ("How far was Tom's longest training run?", None, ["long_run"], SF),
    ("Where did Tom spend Tết?", None, ["tet_q", "tet_saigon"], SF),
    # temporal
    ("When did Mai start her new job?", None, ["start_date", "first_day"], TM),
    ("What did Tom do the weekend before the trip?", "2024-04-08T09:00:00", ["vungtau", "scallops"], TM),
    ("Where did Mai live before she moved to Hanoi?", None, ["back_danang", "hometown"], TM),
    ("Where does Mai live now?", None, ["moved_badinh"], TM),
    ("When is Tom's birthday?", None, ["birthday"], TM),
    ("When did Tom and Linh go to Japan?", None, ["japan_booked", "japan_dates"], TM),
    ("What happened to Bơ last week?", "2024-03-27T10:00:00", ["bo_sick", "bo_sick_cause", "bo_recovered"], TM),
    ("What did Mai say about work yesterday?", "2024-04-08T12:00:00", ["demo", "hang_praise"], TM),
    ("When did Mai's mom come to Hanoi?", None, ["mom_may", "mom_left"], TM),
    ("When did Mai move to Ba Đình?", None, ["moved_badinh", "move_when"], TM),
    ("When does Tom start his new job?", None, ["tom_start"], TM),
    ("When is Mai visiting Saigon?", "2024-05-20T09:00:00", ["saigon_trip"], TM),
    ("When was Emma in Vietnam?", None, ["emma_visit", "emma_leaves"], TM),
    ("When did Bơ get to Hanoi?", None, ["bo_arrives"], TM),
    ("When was the half marathon?", None, ["half_signup", "race_date"], TM),
    ("When did Tom first bring up the Japan trip?", None, ["japan_idea"], TM),
    ("What did Tom say about Hội An yesterday?", "2024-02-22T10:00:00", ["emma_sick", "lantern"], TM),
    ("What is Tom doing in July?", None, ["july_tour", "ring_emma"], TM),
    ("What are Tom's plans for Linh's birthday in August?", None, ["propose", "ring_emma"], TM),
    ("What is Tom writing this week?", "2024-06-21T09:00:00", ["mekong"], TM),
    ("Where does Bơ go for walks since the last move?", None, ["bo_park"], TM),
    ("When did Tom fly to Japan?", None, ["flight", "japan_dates"], TM),
    ("What job did Tom have before Saigon Trails?", None, ["tom_job", "quit"], TM),
    # multi-hop
    ("How did Mai's dog get to Hanoi?", None, ["khoa_bo", "bo_arrives"], MH),
    ("What did Tom's girlfriend love most in Japan?", None, ["linh_gf", "nara"], MH),
    ("What happened to Tom's sister in Hội An?", None, ["sister_q", "emma_visit", "emma_sick"], MH),
    ("How has chị Hằng's opinion of Mai's work changed since her first week?", None, ["hang_feedback", "hang_praise"], MH),
    ("What has Mai's brother helped her with?", None, ["khoa_bo", "khoa_teach_plan", "move_when", "licence"], MH),
    ("Did Mai end up learning to drive?", None, ["driving", "licence"], MH),
    ("What did Tom photograph with the camera he bought for the trip?", None, ["camera", "photos"], MH),
    ("Who uses the bowl Mai made?", None, ["bowl", "bowl_bo"], MH),
    ("Did Tom's knee problem affect his half marathon?", None, ["knee", "race_knee"], MH),
    ("What does the person who got Tom into running do for work?", None, ["race_date", "linh_gf"], MH),
    ("Whose guitar was Tom learning on before his birthday present?", None, ["guitar", "guitar_gift"], MH),
    ("Why did Tom leave teaching?", None, ["new_job_tom", "better_pay"], MH),
    ("How did the publisher demo turn out?", None, ["demo", "demo_result"], MH),
    ("Which neighbourhoods has Mai lived in since moving to Hanoi?", None, ["apt_tayho", "moved_badinh"], MH),
    ("Where did Tom and Mai meet up with Emma?", None, ["show_danang", "cho_han", "met_monday"], MH),
    ("Did Tom get Mai the souvenir she asked for?", None, ["souvenir_ask", "souvenir_req", "souvenir"], MH),
    ("What is the travel company sending Tom to do?", None, ["new_job_tom", "july_tour"], MH),
    
    ("What did Linh cook when Mai stayed with them, and how did it compare to her hometown's version?", None, ["linh_bunbo", "hometown"], MH),
    ("What happened to the job Mai was keeping secret in January?", None, ["apply_hanoi", "start_date"], MH),
]

MIN_TURNS, MIN_SESSIONS, MIN_QUESTIONS = 300, 10, 60


def build():
    rng = random.Random(20240106)
    mems, tags = [], {}
    for start, turns in SESSIONS:
        t = datetime.datetime.fromisoformat(start)
        for turn in turns:
            speaker, text = turn[0], turn[1]
            if len(turn) > 2:
                if turn[2] in tags:
                    sys.exit(f"duplicate tag {turn[2]}")
                tags[turn[2]] = len(mems)
            if mems and t.isoformat() <= mems[-1]["timestamp"]:
                sys.exit(f"session {start} overlaps the previous one")
            mems.append({"content": f"{speaker}: {text}", "timestamp": t.isoformat()})
            t += datetime.timedelta(seconds=rng.randint(40, 110))
    used, qs = set(), []
    for q, ref, ans, kind in QUESTIONS:
        ref = ref or END
        idx = []
        for tag in ans:
            if tag not in tags:
                sys.exit(f"question {q!r}: unknown tag {tag}")
            if mems[tags[tag]]["timestamp"] >= ref:
                sys.exit(f"question {q!r}: answer {tag} is not before reference_time")
            idx.append(tags[tag])
            used.add(tag)
        qs.append({"question": q, "reference_time": ref, "answers": sorted(idx),
                   "kind": kind, "depth": None})
    if len(mems) < MIN_TURNS or len(SESSIONS) < MIN_SESSIONS or len(qs) < MIN_QUESTIONS:
        sys.exit(f"corpus too small: {len(mems)} turns, {len(SESSIONS)} sessions, {len(qs)} questions")
    return {"name": "chat", "memories": mems, "questions": qs}, set(tags) - used


if __name__ == "__main__":
    corpus, unused = build()
    dump(corpus, OUT)
    kinds = {}
    for q in corpus["questions"]:
        kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    print(f"{OUT}: {len(corpus['memories'])} memories in {len(SESSIONS)} sessions, "
          f"{len(corpus['questions'])} questions {kinds}")
    if unused:
        print(f"tagged turns not used by any question: {sorted(unused)}")
